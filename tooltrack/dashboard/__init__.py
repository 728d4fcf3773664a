"""Dashboard helpers shared by `app.py` and the pages in `pages/`: engine, data version, caching."""
