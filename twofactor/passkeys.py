"""Passkeys (django-otp-webauthn) as a second factor: the relying party, and the audited registration."""

from django_otp_webauthn.views import CompleteCredentialRegistrationView

from records import audit
from twofactor import services


def relying_party_id(request):
    return request.get_host().rsplit(":", 1)[0].strip("[]")


class AuditedRegistrationView(CompleteCredentialRegistrationView):
    """django-otp-webauthn's last registration step, with the new passkey audited like any other factor."""

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            services.record_passkey_added(user=self.request.user, ip_address=audit.client_address(self.request))
        return response
