"""Resource servers as records: RFC 8707 §2 resource indicators, RFC 9728 `resource`.

A resource is the audience a token is minted for (`aud`, RFC 9068 §2.2): an absolute URI
without a fragment, compared exactly (RFC 8707 §2; an MCP server's URL is its canonical
form, as the MCP specification says clients send it). Each names the scopes a token for it
may carry (`scopes`) and whether dynamically registered clients may ask for it (`open`).
Decisions:
* The admin registers resources (`admin resource create --uri U --scope "a b" [--open]`).
  An administrator's client still names its resources itself (`client create --resource`);
  a client that registers itself (RFC 7591 /register, records/dynamic_registration.py)
  gets the open resources and only the scopes they name (plus the OpenID Connect scopes).
* Open resources are read with one Scan, only at registration: there are few of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import InvalidClientMetadata
from chalicelib.models import ResourceModel, conditional_write
from chalicelib.records.client_records import is_resource_uri


@dataclass(frozen=True)
class Resource:
    uri: str
    scopes: tuple[str, ...]
    open: bool


def _from_record(record: ResourceModel) -> Resource:
    return Resource(record.uri, tuple(record.scopes or ()), bool(record.open))


def create_resource(uri: str, scope: str, *, open: bool = False) -> Resource:
    """Register a resource server; an existing URI is refused (delete it first)."""
    if not is_resource_uri(uri):
        raise InvalidClientMetadata(f"resource must be an absolute URI without a fragment: {uri}")
    record = ResourceModel(uri=uri, scopes=list(dict.fromkeys(scope.split())), open=open)
    if not conditional_write(record.save, condition=ResourceModel.uri.does_not_exist()):
        raise InvalidClientMetadata(f"resource already registered: {uri}")
    return _from_record(record)


def get_resource(uri: str) -> Resource | None:
    try:
        return _from_record(ResourceModel.get(uri, consistent_read=True))
    except ResourceModel.DoesNotExist:
        return None


def all_resources() -> list[Resource]:
    return sorted((_from_record(r) for r in ResourceModel.scan()), key=lambda r: r.uri)


def open_resources() -> list[Resource]:
    return [resource for resource in all_resources() if resource.open]


def delete_resource(uri: str) -> None:
    """Remove a resource; DoesNotExist if there is none. Clients keep naming it until changed."""
    ResourceModel.get(uri, consistent_read=True).delete()
