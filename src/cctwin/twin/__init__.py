"""The district's digital twin: boundaries, camera placements and map layers as GeoJSON."""
