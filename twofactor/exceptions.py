class SecondFactorError(Exception):
    """A second-factor step that cannot be done as asked."""


class WrongCode(SecondFactorError):
    """The code matches no device of the user."""


class TooManyAttempts(SecondFactorError):
    """Wrong codes came too fast: wait until ``retry_at`` (an aware datetime)."""

    def __init__(self, retry_at):
        super().__init__(retry_at)
        self.retry_at = retry_at


class NotAllowed(SecondFactorError):
    """The rules in twofactor/policy.py refuse this."""
