class RegistrationUnavailable(Exception):
    """The account could not be created because a store is unreachable; nothing was kept."""
