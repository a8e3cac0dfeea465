"""Platform credentials from Prefect Secret blocks, for served deployments and workers.

Within ``prefect_secrets()`` (publishing, stats and their flows enter it), a credential
the environment does not set is looked up as the Secret block named
after its variable in lower case with dashes: ``CLIPCART_TIKTOK_TOKEN`` is the block
``clipcart-tiktok-token``, ``CLIPCART_YOUTUBE_TOKEN__BRAND_B`` is
``clipcart-youtube-token--brand-b``. Blocks are consulted only where a Prefect API is
already at hand (inside a flow run, or with ``PREFECT_API_URL`` set), so a plain
``clipcart publish`` with a missing variable fails at once instead of starting
Prefect's embedded server to look.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import AbstractContextManager

from pipeline.publish.service import secret_block_name as block_name
from pipeline.publish.service import secrets_from


def _api_at_hand() -> bool:
    from prefect.context import FlowRunContext

    return FlowRunContext.get() is not None or bool(os.environ.get("PREFECT_API_URL"))


def prefect_secret(variable: str) -> str | None:
    """The text of the Secret block for ``variable``, or None when there is none or the
    API cannot say (the environment may still hold every required credential)."""
    if not _api_at_hand():
        return None
    from prefect.blocks.system import Secret

    try:
        block = Secret.load(block_name(variable), _sync=True)  # type: ignore[call-arg]
    except Exception:  # no such block, or the API is down or refuses: not a secret here
        logging.getLogger(__name__).debug("no Secret block %s", block_name(variable))
        return None
    value = block.value.get_secret_value()  # the stored text, not Secret.get()'s JSON parse
    return value if isinstance(value, str) else json.dumps(value)


def prefect_secrets() -> AbstractContextManager[None]:
    """Inside the block, credentials the environment lacks come from Secret blocks."""
    return secrets_from(prefect_secret)
