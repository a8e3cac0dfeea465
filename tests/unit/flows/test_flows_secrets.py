"""Platform credentials from Prefect Secret blocks, inside a flow run."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.blocks.system import Secret

from flows.secrets import block_name, prefect_secret, prefect_secrets
from pipeline.core.errors import ConfigError
from pipeline.publish.service import env_credentials


def test_block_names_follow_the_variable_names() -> None:
    assert block_name("CLIPCART_TIKTOK_TOKEN") == "clipcart-tiktok-token"
    assert block_name("CLIPCART_YOUTUBE_TOKEN__BRAND_B") == "clipcart-youtube-token--brand-b"


def test_outside_a_flow_run_no_api_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert prefect_secret("CLIPCART_YOUTUBE_TOKEN") is None


def test_a_secret_block_supplies_a_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLIPCART_YOUTUBE_TOKEN__BLOCKS", raising=False)
    monkeypatch.delenv("CLIPCART_INSTAGRAM_TOKEN__BLOCKS", raising=False)
    Secret(value="ya29.block-token").save("clipcart-youtube-token--blocks", overwrite=True)

    @flow
    def credentials(platform: str) -> dict[str, str]:
        with prefect_secrets():
            return env_credentials(platform, "blocks")

    assert credentials("youtube") == {"access_token": "ya29.block-token"}
    monkeypatch.setenv("CLIPCART_YOUTUBE_TOKEN__BLOCKS", "from-env")
    assert credentials("youtube") == {"access_token": "from-env"}  # the environment wins
    with pytest.raises(ConfigError) as missing:
        credentials("instagram")
    assert "Prefect Secret block 'clipcart-instagram-token--blocks'" in missing.value.one_line()


def test_a_json_looking_secret_comes_back_as_stored() -> None:
    Secret(value='{"k": 1}').save("clipcart-youtube-token--json", overwrite=True)

    @flow
    def lookup() -> str | None:
        return prefect_secret("CLIPCART_YOUTUBE_TOKEN__JSON")

    assert lookup() == '{"k": 1}'


def test_an_unreachable_api_is_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert prefect_secret("CLIPCART_YOUTUBE_TOKEN") is None
