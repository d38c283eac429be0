"""Emotion Garden: the domain, its ports and adapters, and the services behind the Chalice app."""
