"""An NGSI-LD context broker (ETSI GS CIM 009) on the project's store: the twin's standard API."""
