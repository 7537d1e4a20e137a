"""The demo data and the benchmark are development tools: production settings install neither app."""

from tests.test_settings import PRODUCTION_LIKE, manage

TOOLS = {"load_demo", "demo_code", "bench", "bench_matching"}


def commands(env: dict) -> set[str]:
    result = manage("help", "--commands", env_overrides=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return set(result.stdout.split())


def test_production_settings_install_neither_demo_nor_bench():
    assert not TOOLS & commands(PRODUCTION_LIKE)


def test_debug_installs_both():
    assert commands({**PRODUCTION_LIKE, "DEBUG": "true"}) >= TOOLS


def test_dev_apps_installs_both_with_debug_off():
    assert commands({**PRODUCTION_LIKE, "DEV_APPS": "true"}) >= TOOLS


def test_dev_apps_false_leaves_them_out_even_with_debug():
    assert not TOOLS & commands({**PRODUCTION_LIKE, "DEBUG": "true", "DEV_APPS": "false"})
