"""The error tree of credo.

Every error credo raises on purpose derives from :class:`CredoError`; the HTTP layer maps the
families below to status codes in one place, the CLI maps them to exit codes.

::

    CredoError
    ├── InvalidInputError        bad input from a user, a file or a source (exit 2 / HTTP 422)
    │   └── UnreadableInputError a whole file cannot be read (missing, not the format it claims)
    ├── NotFoundError            a named thing does not exist (HTTP 404)
    ├── ConflictError            the request contradicts current state (HTTP 409)
    ├── ConsentDeniedError       no consent / no grant covers the use (HTTP 403)
    │   └── ProbeLimitError      a partner probed too many distinct thresholds (HTTP 429)
    ├── AuthenticationError      unknown or bad credentials (HTTP 401)
    ├── RateLimitedError         a caller made more requests than its rate allows (HTTP 429)
    ├── ConfigurationError       settings or the credo home are not usable
    ├── PrivacyError             keys and encryption: missing key, failed decryption, dev key in
    │                            production (never a silent empty value)
    ├── LakeError                the event lake cannot be read or written
    └── ModelError               training or applying a model failed

Messages name the thing, the rule and the value received, except personal data, which is
referred to by field name and subject token only.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "ConsentDeniedError",
    "CredoError",
    "InvalidInputError",
    "LakeError",
    "ModelError",
    "NotFoundError",
    "PrivacyError",
    "ProbeLimitError",
    "RateLimitedError",
    "UnreadableInputError",
]


class CredoError(Exception):
    """Root of every error credo raises on purpose."""


class InvalidInputError(CredoError):
    """Input does not satisfy a documented rule."""


class UnreadableInputError(InvalidInputError):
    """A whole input file cannot be read."""


class NotFoundError(CredoError):
    """A named thing (source, subject, model, …) does not exist."""


class ConflictError(CredoError):
    """The request contradicts the current state."""


class ConsentDeniedError(CredoError):
    """No consent or grant covers the requested use of a person's data."""


class ProbeLimitError(ConsentDeniedError):
    """A partner asked too many distinct thresholds for one person: the answers would reveal the
    score that its grant does not disclose."""


class AuthenticationError(CredoError):
    """Credentials are missing, unknown or wrong."""


class RateLimitedError(CredoError):
    """A caller made more requests than its rate allows; ``retry_after_seconds`` says when the
    next one will be accepted."""

    def __init__(self, message: str, *, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ConfigurationError(CredoError):
    """Settings or the credo home cannot be used as they are."""


class PrivacyError(CredoError):
    """A key is missing or wrong, or a ciphertext cannot be decrypted."""


class LakeError(CredoError):
    """The event lake cannot be read or written."""


class ModelError(CredoError):
    """A model cannot be trained, loaded or applied."""
