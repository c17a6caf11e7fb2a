"""The ``ray`` executor: Ray tasks on a local instance (sized to the machine) or a running cluster.

Each unit is a task with ``--cpus-per-unit`` / ``--gpus-per-unit`` (fractional GPUs let light
units share one) and ``max_retries``: a worker killed mid-unit is retried (a unit writes through a
staging folder, so a retried unit starts clean). The work and each payload (a network's weights,
loaded once by the driver) go to Ray's object store once, one copy per node; workers build the
network from them and never read a checkpoint.
"""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Iterator
from typing import Any

from unibench.errors import ConfigError
from unibench.executors.base import EXECUTORS, Done, ExecutorOptions, Unit, UnitComputer


def _compute(work: UnitComputer, unit: Unit, threads: int, payload: Any) -> Done:
    return work(unit, threads, payload)


class RayExecutor:
    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        cpus_per_unit: float = 1.0,
        gpus_per_unit: float = 0.0,
        max_retries: int = 3,
        num_cpus: int | None = None,
    ) -> None:
        try:
            import ray  # noqa: F401  (optional dependency: checked before any work)
        except ImportError:
            raise ConfigError(
                "--executor ray needs Ray: pip install -e '.[ray]' (or pip install ray)"
            ) from None
        if not (math.isfinite(cpus_per_unit) and math.isfinite(gpus_per_unit)) or (
            cpus_per_unit <= 0 or gpus_per_unit < 0
        ):
            raise ConfigError(
                f"--cpus-per-unit {cpus_per_unit} / --gpus-per-unit {gpus_per_unit}: expected a "
                "finite number of CPUs > 0 and of GPUs >= 0"
            )
        self.address = address
        self.cpus, self.gpus, self.max_retries = cpus_per_unit, gpus_per_unit, max_retries
        self.num_cpus = num_cpus
        self.per_node: dict[str, int] = {}

    def _init(self):
        import ray  # optional dependency

        if not ray.is_initialized():
            kw = dict(include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
            if self.address:
                check_ray_address(self.address)
                ray.init(address=self.address, **kw)
            else:  # a local instance sized to the machine (or to num_cpus)
                ray.init(num_cpus=self.num_cpus or os.cpu_count(), **kw)
        return ray

    def run(self, units: list[Unit], work: UnitComputer) -> Iterator[Done]:
        if not units:
            return
        ray = self._init()
        task = ray.remote(num_cpus=self.cpus, num_gpus=self.gpus, max_retries=self.max_retries)(
            _compute
        )
        work_ref = ray.put(work)
        refs = {k: ray.put(v) for k, v in work.payloads(units).items()}
        threads = max(1, int(self.cpus))
        pending = {
            task.remote(work_ref, u, threads, refs.get(work.payload_key(u))): u for u in units
        }
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            pending.pop(ready[0])
            done = ray.get(ready[0])
            self.per_node[done.node] = self.per_node.get(done.node, 0) + 1
            yield done


def check_ray_address(address: str, timeout: float = 10.0) -> None:
    """Fail fast, naming the address, where nothing listens there (Ray itself retries for
    minutes). ``auto`` and ``local`` are Ray's own words and pass."""
    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    try:
        port_n = int(port)
        if not host or not 0 < port_n < 65536:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"--ray-address {address!r}: expected HOST:PORT (or ray://HOST:PORT, or auto)"
        ) from None
    try:
        with socket.create_connection((host.strip("[]"), port_n), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(
            f"--ray-address {address!r}: no Ray cluster answers there ({exc.strerror or exc}); "
            "start one with 'ray start --head' or leave --ray-address out for a local instance"
        ) from None


@EXECUTORS.register("ray")
def _ray(options: ExecutorOptions) -> RayExecutor:
    return RayExecutor(options.ray_address, options.cpus_per_unit, options.gpus_per_unit)
