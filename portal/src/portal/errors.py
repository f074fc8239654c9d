"""Errors the API answers with: `{errors: [{code, field, message}]}`, messages in the user's language."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from portal.i18n import N_, long_date, negotiate, translate


@dataclass
class Problem:
    """One thing wrong with a request: a stable code, the field it concerns, a translatable message."""

    code: str
    message: str
    field: str | None = None
    params: dict[str, object] = dataclass_field(default_factory=dict)

    def render(self, language: str) -> dict[str, str | None]:
        """The problem as JSON, its message in the given language."""
        params = {k: long_date(v, language) if isinstance(v, date) else v for k, v in self.params.items()}
        return {"code": self.code, "field": self.field, "message": translate(self.message, language, **params)}


class PortalError(Exception):
    """An error with an HTTP status and one or more problems to explain to the user."""

    def __init__(self, status_code: int, *problems: Problem, headers: dict[str, str] | None = None) -> None:
        super().__init__(", ".join(p.code for p in problems))
        self.status_code = status_code
        self.problems = list(problems)
        self.headers = headers


def not_found(what: str = "participant") -> PortalError:
    """404 without a hint whether the thing exists elsewhere (another employer's participant)."""
    return PortalError(404, Problem("not_found", N_("Not found."), what))


def forbidden() -> PortalError:
    """403: the user's role does not allow this."""
    return PortalError(403, Problem("forbidden", N_("Your role does not allow this action.")))


def unauthorized(code: str = "not_authenticated", message: str = N_("Please log in.")) -> PortalError:
    """401 with the bearer challenge."""
    return PortalError(401, Problem(code, message), headers={"WWW-Authenticate": "Bearer"})


# Pydantic error types mapped to our codes and messages; the field comes from the error's location.
_VALIDATION_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("required", N_("This field is required.")),
    "date_from_datetime_parsing": ("invalid_date", N_("Enter a valid date (YYYY-MM-DD).")),
    "date_parsing": ("invalid_date", N_("Enter a valid date (YYYY-MM-DD).")),
    "date_type": ("invalid_date", N_("Enter a valid date (YYYY-MM-DD).")),
    "decimal_parsing": ("invalid_number", N_("Enter a valid number.")),
    "decimal_type": ("invalid_number", N_("Enter a valid number.")),
    "decimal_max_places": ("too_many_decimals", N_("Too many decimals.")),
    "decimal_max_digits": ("invalid_number", N_("Enter a valid number.")),
    "enum": ("invalid_choice", N_("Choose one of the allowed values.")),
    "literal_error": ("invalid_choice", N_("Choose one of the allowed values.")),
    "string_too_short": ("required", N_("This field is required.")),
    "string_too_long": ("too_long", N_("This text is too long (at most {max_length} characters).")),
    "too_long": ("too_many_items", N_("Too many entries (at most {max_length}).")),
    "string_pattern_mismatch": ("invalid_format", N_("This value has the wrong format.")),
}


def _problem_from_pydantic(error: dict) -> Problem:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    code, message = _VALIDATION_MESSAGES.get(error.get("type", ""), ("invalid", N_("This value is not valid.")))
    if error.get("type") == "value_error" and isinstance(error.get("ctx", {}).get("error"), PortalProblemError):
        return error["ctx"]["error"].problem
    # The only parameter the messages use; pydantic gives it with every *too_long error.
    ctx = error.get("ctx") or {}
    params = {"max_length": ctx["max_length"]} if "max_length" in ctx else {}
    return Problem(code, message, ".".join(location) or None, params)


def validation_problems(errors: list[dict]) -> list[Problem]:
    """Pydantic's validation errors as the API reports them; the pages' forms show the same messages."""
    return [_problem_from_pydantic(error) for error in errors]


class PortalProblemError(ValueError):
    """Raised inside a pydantic validator to report a problem with our own code and message."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def request_language(request: Request) -> str:
    """The language the request asks for (Accept-Language), Dutch by default."""
    return negotiate(request.headers.get("accept-language"))


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error in the contract's shape and the request's language."""

    @app.exception_handler(PortalError)
    async def _portal_error(request: Request, exc: PortalError) -> JSONResponse:
        language = request_language(request)
        return JSONResponse(
            {"errors": [p.render(language) for p in exc.problems]},
            status_code=exc.status_code,
            headers=exc.headers,
            )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        language = request_language(request)
        problems = [_problem_from_pydantic(e) for e in exc.errors()]
        return JSONResponse({"errors": [p.render(language) for p in problems]}, status_code=422)
