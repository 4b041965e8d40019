"""The MLflow side of the registry (synchronous: the async Registry calls it via asyncio.to_thread).

A strategy `x` is the registered model `gauntlet.x`; each distinct spec hash is one model version,
created from an MLflow run that carries the spec and the evidence hash as tags and the spec as an
artifact (the version's source). Stages candidate/paper/live are aliases. MLflow raises many
exception types (REST, SQL, IO); every one is turned into RegistryUnavailableError here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from live.registry.errors import RegistryUnavailableError
from research.promotion.stages import ALIAS_STAGES
from research.tracking import TrackingStoreError, quiet_mlflow, resolve_uri

EXPERIMENT = "gauntlet.registry"
_TAG_LIMIT = 5000  # MLflow caps tag values (8000 on SQL stores); the artifact keeps the whole spec


def model_name(strategy: str) -> str:
    return f"gauntlet.{strategy}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


class ModelStore:
    """One MLflow client for one tracking store; construction proves the store answers."""

    def __init__(self, tracking_uri: str | None) -> None:
        from mlflow.tracking import MlflowClient

        quiet_mlflow()  # quiet logs, quick retries: shared with research.tracking
        try:
            self.uri, self._artifacts = resolve_uri(tracking_uri)
        except TrackingStoreError as exc:
            raise RegistryUnavailableError(f"MLflow registry unavailable: {exc}") from None
        with self._errors("open"):
            self.client: Any = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
            # The cheapest registry call: fails on a broken store, and creates a new SQLite
            # store's tables now rather than inside a promotion's transaction.
            self.client.search_registered_models(max_results=1)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except RegistryUnavailableError:
            raise
        except Exception as exc:
            raise RegistryUnavailableError(
                f"MLflow registry at {self.uri} failed to {action}: {_first_line(exc)}"
            ) from None

    def ensure_version(
        self, strategy: str, spec: dict[str, Any], spec_hash: str, evidence_hash: str, stage: str
    ) -> str:
        """The model version for `spec_hash`, created (with its run) the first time it is seen.
        Callers hold the strategy's PostgreSQL row lock, so two of them never race here."""
        name = model_name(strategy)
        with self._errors(f"find or create the model version of {name}"):
            self._ensure_model(name, strategy)
            found = self.client.search_model_versions(
                f"name = '{name}' and tags.`gauntlet.spec_hash` = '{spec_hash}'"
            )
            if found:
                return str(min(int(v.version) for v in found))
            run_id, source = self._spec_run(strategy, spec, spec_hash, evidence_hash, stage)
            version = self.client.create_model_version(
                name, source, run_id=run_id,
                tags={"gauntlet.spec_hash": spec_hash, "gauntlet.evidence_hash": evidence_hash},
            )  # fmt: skip
            return str(version.version)

    def _ensure_model(self, name: str, strategy: str) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(name)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            self.client.create_registered_model(name, tags={"gauntlet.strategy": strategy})

    def _spec_run(
        self, strategy: str, spec: dict[str, Any], spec_hash: str, evidence_hash: str, stage: str
    ) -> tuple[str, str]:
        experiment = self.client.get_experiment_by_name(EXPERIMENT)
        experiment_id = (
            experiment.experiment_id
            if experiment is not None
            else self.client.create_experiment(EXPERIMENT, artifact_location=self._artifacts)
        )
        tags = {
            "gauntlet.kind": "registry",
            "gauntlet.strategy": strategy,
            "gauntlet.spec_hash": spec_hash,
            "gauntlet.evidence_hash": evidence_hash,
            "gauntlet.stage": stage,
            "gauntlet.spec": json.dumps(spec, sort_keys=True)[:_TAG_LIMIT],
        }
        run = self.client.create_run(experiment_id, tags=tags)
        run_id = str(run.info.run_id)
        self.client.log_dict(run_id, spec, "spec/spec.json")
        self.client.set_terminated(run_id)
        return run_id, f"{run.info.artifact_uri}/spec"

    def aliases(self, strategy: str) -> dict[str, str]:
        """The stage aliases of the strategy's model ({} when it has no model yet)."""
        from mlflow.exceptions import MlflowException

        with self._errors(f"read the aliases of {model_name(strategy)}"):
            try:
                model = self.client.get_registered_model(model_name(strategy))
            except MlflowException as exc:
                if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                    return {}
                raise
            return {a: str(v) for a, v in model.aliases.items() if a in ALIAS_STAGES}

    def sync_aliases(self, strategy: str, stage: str, version: str | None) -> dict[str, str]:
        """Make the stage aliases say exactly `stage` → `version` (none for research/retired)
        and return what they said before. Half-done changes are undone before raising."""
        before = self.aliases(strategy)
        wanted = {stage: version} if stage in ALIAS_STAGES and version is not None else {}
        try:
            self._apply(strategy, wanted)
        except RegistryUnavailableError:
            self.restore_aliases(strategy, before)  # best effort; the first error is the news
            raise
        return before

    def restore_aliases(self, strategy: str, before: dict[str, str]) -> str | None:
        """Put the aliases back as `before`; returns an error line instead of raising, because
        it runs while another failure is being reported."""
        try:
            self._apply(strategy, before)
        except RegistryUnavailableError as exc:
            return str(exc)
        return None

    def _apply(self, strategy: str, wanted: dict[str, str]) -> None:
        name = model_name(strategy)
        with self._errors(f"move the stage aliases of {name}"):
            # Set first, delete after: a reader never sees the model without its stage alias.
            for alias, version in wanted.items():
                self.client.set_registered_model_alias(name, alias, version)
            for alias in ALIAS_STAGES:
                if alias not in wanted:
                    self.client.delete_registered_model_alias(name, str(alias))
