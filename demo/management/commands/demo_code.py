from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.people import DEMO_TOTP_DEVICE_NAME


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo staff login (staff@demo.test). Demo data only."

    def handle(self, *args, **options):
        device = TOTPDevice.objects.filter(name=DEMO_TOTP_DEVICE_NAME, confirmed=True).select_related("user").first()
        if device is None:
            raise CommandError("No demo authenticator here: load the demo data first (manage.py load_demo).")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{device.user.email}: {totp.token():0{device.digits}d}")
