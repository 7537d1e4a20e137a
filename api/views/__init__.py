"""The API's views, by resource (api/urls.py mounts them at /api/v1/)."""
