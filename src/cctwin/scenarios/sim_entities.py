"""Simulated entities: a crowd run's zones as CrowdFlowObserved in the simulation tenant."""

from __future__ import annotations

from typing import Any

from cctwin.ngsi.entities import iso
from cctwin.ngsi.service import NgsiService
from cctwin.scenarios.records import RunStatus, ScenarioRun


def simulated_bodies(run: ScenarioRun) -> list[dict[str, Any]]:
    """One CrowdFlowObserved per zone with its simulated peak density, flagged `simulated`."""
    zones = run.summary.get("zones")
    if run.kind != "crowd" or run.status is not RunStatus.DONE or not isinstance(zones, dict):
        return []
    at = iso(run.finished_at or run.created_at)
    bodies = []
    for zone_id, density in zones.items():
        bodies.append(
            {
                "id": f"urn:ngsi-ld:CrowdFlowObserved:sim:{run.name}:{zone_id}",
                "type": "CrowdFlowObserved",
                "density": {
                    "type": "Property",
                    "value": density,
                    "observedAt": at,
                    "unitCode": "28",
                },
                "simulated": {"type": "Property", "value": True},
                "scenarioRun": {"type": "Property", "value": run.id},
                "peakTime": {"type": "Property", "value": run.summary.get("peak_time_s")},
            }
        )
    return bodies


def publish_simulated(service: NgsiService, run: ScenarioRun) -> int:
    """Upsert the run's simulated entities into `service` (the simulation tenant's)."""
    bodies = simulated_bodies(run)
    if not bodies:
        return 0
    result = service.broker.batch("upsert", bodies, service.contexts.terms(None))
    return len(bodies) - len(result.errors)
