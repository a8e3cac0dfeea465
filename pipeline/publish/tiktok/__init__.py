"""TikTok Content Posting API v2: the client, user tokens and refresh, the upload chunk rule."""
