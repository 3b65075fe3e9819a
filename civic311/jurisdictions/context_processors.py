from django.conf import settings
from django.http import HttpRequest


def jurisdiction(request: HttpRequest) -> dict:
    return {
        "jurisdiction": getattr(request, "jurisdiction", None),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
