"""`python -m tongban_idp --dir var/idp --port 8010 --rp-url http://127.0.0.1:8000 --demo`:
prepare the stand-in identity platform (database, RS256 key, Tongban as its client, the
people) and serve it on 127.0.0.1 until stopped."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any


def _prepare_dir(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path.mkdir(parents=True, exist_ok=True)
    secret = path / "secret.txt"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(48))
    key_file = path / "oidc-key.pem"
    if not key_file.exists():
        # generated once per installation: the ID tokens' RS256 signing key
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_file.chmod(0o600)


def demo_people() -> list[dict[str, Any]]:
    """The demo's people and staff, with what the platform verified about them."""
    from tongban.accounts.identifiers import make_id_number, make_uscc
    from tongban.demo import data

    people: dict[str, dict[str, Any]] = {}
    for person in data.PERSONS:
        people[person.username] = {
            "username": person.username,
            "name": person.name,
            "trust_level": 4,
            "id_number": make_id_number(person.region, person.birth, person.sequence),
        }
    for enterprise in data.ENTERPRISES:
        agent = enterprise.agent
        people[agent.username] = {
            "username": agent.username,
            "name": agent.name,
            "trust_level": 4,
            "id_number": make_id_number(agent.region, agent.birth, agent.sequence),
            "uscc": make_uscc(enterprise.uscc_region, enterprise.organisation_code),
            "enterprise_name": enterprise.name,
        }
    for spec in data.JURISDICTIONS:
        for role in data.STAFF_ROLES:
            username = f"{spec.code}-{role}"
            people[username] = {
                "username": username,
                "name": f"{spec.short_name}{data.ROLE_TITLES[role]}",
                "trust_level": 4,
            }
    return [dict(p, password=data.DEMO_PASSWORD) for p in people.values()]


def _load(people: list[dict[str, Any]], client_id: str, secret: str, rp_url: str) -> None:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    from tongban_idp.models import Person

    rp_url = rp_url.rstrip("/")
    app = Application.objects.filter(client_id=client_id).first() or Application(
        client_id=client_id
    )
    app.name = "通办 Tongban"
    app.client_type = Application.CLIENT_CONFIDENTIAL
    app.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    app.redirect_uris = f"{rp_url}/oidc/callback/"
    app.post_logout_redirect_uris = f"{rp_url}/"
    app.algorithm = Application.RS256_ALGORITHM
    app.skip_authorization = True
    app.client_secret = secret
    app.save()
    hashes: dict[str, str] = {}
    for spec in people:
        password = spec["password"]
        if password not in hashes:
            hashes[password] = make_password(password)
        user, _ = User.objects.update_or_create(
            username=spec["username"], defaults={"password": hashes[password]}
        )
        Person.objects.update_or_create(
            user=user,
            defaults={
                "name": spec.get("name", ""),
                "trust_level": spec.get("trust_level", 2),
                "id_number": spec.get("id_number", ""),
                "uscc": spec.get("uscc", ""),
                "enterprise_name": spec.get("enterprise_name", ""),
            },
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tongban_idp")
    parser.add_argument("--dir", required=True, type=Path, help="database and key directory")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--rp-url", default="http://127.0.0.1:8000", help="Tongban's base URL")
    parser.add_argument("--client-id", default="tongban")
    parser.add_argument("--client-secret", default="tongban-demo-secret")
    parser.add_argument("--people", type=Path, help="JSON list of people and their claims")
    parser.add_argument("--demo", action="store_true", help="the demo's people and staff")
    args = parser.parse_args(argv)

    directory = args.dir.resolve()
    _prepare_dir(directory)
    os.environ["TONGBAN_IDP_DIR"] = str(directory)
    os.environ["TONGBAN_IDP_ISSUER"] = f"http://127.0.0.1:{args.port}/o"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongban_idp.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    people: list[dict[str, Any]] = []
    if args.demo:
        people += demo_people()
    if args.people:
        people += json.loads(args.people.read_text())
    _load(people, args.client_id, args.client_secret, args.rp_url)
    sys.stdout.write(f"identity platform: {os.environ['TONGBAN_IDP_ISSUER']}\n")
    sys.stdout.flush()
    call_command("runserver", f"127.0.0.1:{args.port}", use_reloader=False, skip_checks=True)


if __name__ == "__main__":
    main()
