"""Publishing rendered clips to TikTok, TikTok Shop, Instagram Reels, YouTube and Douyin.

``publish_clip`` checks the file and caption against the platform's limits, claims the
clip's ledger row (one per clip, platform, account and target), posts exactly once and
returns the ``PublishRecord``. ``sandbox_url`` points every client at a local sandbox
(``clipcart sandbox``) and uses its built-in test credentials; the sandbox URL is the
row's target, so sandbox posts and real posts never stand in for each other.

Real credentials come from the environment, or from a secret source given
inside ``service.secrets_from(...)`` (flows passes Prefect Secret blocks). For an
account other than ``default`` append ``__<ACCOUNT>`` (upper case, non-alphanumerics as ``_``), e.g.
``CLIPCART_TIKTOK_TOKEN__BRAND_B``::

    tiktok       CLIPCART_TIKTOK_TOKEN (user access token, scope video.publish)
                 CLIPCART_TIKTOK_REFRESH_TOKEN, CLIPCART_TIKTOK_CLIENT_KEY,
                 CLIPCART_TIKTOK_CLIENT_SECRET (optional: enable refresh; rotated
                 tokens are then kept in CLIPCART_HOME/tokens/tiktok-<account>.json)
    tiktok-shop  CLIPCART_TIKTOK_SHOP_APP_KEY, CLIPCART_TIKTOK_SHOP_APP_SECRET,
                 CLIPCART_TIKTOK_SHOP_TOKEN (creator token, creator.video.write)
    instagram    CLIPCART_INSTAGRAM_TOKEN, CLIPCART_INSTAGRAM_USER_ID
    youtube      CLIPCART_YOUTUBE_TOKEN (OAuth access token, youtube.upload)
    douyin       CLIPCART_DOUYIN_TOKEN (user access token, scope video.create),
                 CLIPCART_DOUYIN_OPEN_ID; CLIPCART_DOUYIN_CLIENT_KEY,
                 CLIPCART_DOUYIN_REFRESH_TOKEN (optional, CLIPCART_DOUYIN_CLIENT_SECRET too:
                 refresh an expired token); CLIPCART_DOUYIN_MICRO_APP_ID (optional: the
                 account's mini-program, anchored at the product's douyin_micro_app_url)

Tokens never appear in logs, errors or ledger records (see ``base.Redactor``).
"""

from pipeline.publish.base import PublishRecord, PublishRequest
from pipeline.publish.clips import publish_clip, publish_status, schedule_clip
from pipeline.publish.platforms import PLATFORMS
from pipeline.publish.service import Tuning, publish_due

__all__ = [
    "PLATFORMS",
    "PublishRecord",
    "PublishRequest",
    "Tuning",
    "publish_clip",
    "publish_due",
    "publish_status",
    "schedule_clip",
]
