"""The portal's e-mails (§1, §2): subject and paragraphs, English msgids translated through the catalog."""

from __future__ import annotations

from dataclasses import dataclass

from portal.i18n import N_


@dataclass(frozen=True)
class MailText:
    """One kind of e-mail; its texts take `{name}`-style parameters."""

    kind: str
    subject: str
    paragraphs: tuple[str, ...]


GREETING = N_("Dear {name},")
CLOSING = N_("Kind regards,\nThe employer portal")
NOT_YOU = N_("Did you not do this yourself? Contact the service desk at once.")
IGNORE = N_("Did you not ask for this? Then you can ignore this e-mail.")
CODE_VALIDITY = N_("The code is valid for {minutes} minutes and can be used once.")

ACCOUNT_CREATED = MailText(
    "account_created",
    N_("Activate your account for the employer portal"),
    (
        GREETING,
        N_("{creator} has created an account for you on the employer portal for {employer}."),
        N_(
            "To activate it, go to {url}, choose 'First visit? Activate your account' and enter this e-mail "
            "address. You will then receive a verification code."
        ),
    ),
)
ACTIVATION_CODE = MailText(
    "activation_code",
    N_("Your verification code for the employer portal"),
    (GREETING, N_("Your verification code is: {code}"), CODE_VALIDITY, IGNORE),
)
ACCOUNT_ACTIVATED = MailText(
    "account_activated",
    N_("Your account for the employer portal has been activated"),
    (
        GREETING,
        N_("Your account has been activated. Your username is: {username}"),
        N_("Log in at {url}. The first time, you link an authenticator app by scanning a QR code."),
        NOT_YOU,
    ),
)
USERNAME_REMINDER = MailText(
    "username_reminder",
    N_("Your username for the employer portal"),
    (GREETING, N_("You asked for your username. Your username is: {username}"), N_("Log in at {url}."), IGNORE),
)
PASSWORD_RESET_CODE = MailText(
    "password_reset_code",
    N_("Choose a new password for the employer portal"),
    (GREETING, N_("To choose a new password, enter this verification code: {code}"), CODE_VALIDITY, IGNORE),
)
PASSWORD_CHANGED = MailText(
    "password_changed",
    N_("Your password for the employer portal has been changed"),
    (GREETING, N_("The password of your account {username} has been changed."), NOT_YOU),
)
