"""Two-factor sign-in (TOTP with recovery codes) on django-otp: required for staff, optional for everyone else."""
