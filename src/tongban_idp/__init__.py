"""A stand-in for a provincial identity platform (统一身份认证), for the demo and the
tests only: a small separate Django project on django-oauth-toolkit with OpenID Connect
(RS256), its own SQLite database and the demo people with their verified claims
(ADR 0099). Tongban talks to it exactly as it would to a real platform."""
