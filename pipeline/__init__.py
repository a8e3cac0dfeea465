"""clipcart's library: plain, typed stages from footage and product data to a clip."""
