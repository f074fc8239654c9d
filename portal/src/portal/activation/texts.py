"""What the activation and recovery steps tell the user (API answers and pages alike)."""

from portal.i18n import N_

ACTIVATION_CODE_SENT = N_(
    "If an account is waiting for activation at this e-mail address, we have sent a verification code to it. "
    "The code is valid for {minutes} minutes."
)
RESET_CODE_SENT = N_(
    "If an account has this e-mail address, we have sent a verification code to it. "
    "The code is valid for {minutes} minutes."
)
USERNAME_SENT = N_("If an account has this e-mail address, we have sent its username to it.")
ACTIVATED = N_("Your account has been activated. Log in with your username and password.")
PASSWORD_CHANGED = N_("Your password has been changed. Log in with your new password.")
