"""Scale-out: a study's explanations on a Dask ``LocalCluster`` (2 worker processes) via
``client.get_executor()``; workers share the on-disk cache and the tables equal the local run's."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from suffice.study import clips_from_arrays, run

import _hostile_models as hm

distributed = pytest.importorskip("distributed")


def _study_inputs():
    items = hm.clip_items(4)
    cid, x, lab = items[1]
    x = x[:6000].copy()
    x[0] = 0.0625  # poisons c1 for the crashing model below
    items[1] = (cid, x, lab)
    clips, _ = clips_from_arrays(items, 16000)
    # a model that crashes inside its search of c1: the worker's exception must come back as a record
    return hm.models()[:2] + [hm.Poisoned("bad", "raise", length=6000)], clips


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns)).reset_index(drop=True)


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 single-threaded worker processes, shut down after the module's tests."""
    import cloudpickle
    cloudpickle.register_pickle_by_value(hm)  # workers need not import the tests' module
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.mark.slow
def test_dask_cluster_gives_the_local_tables_and_shares_the_cache(tmp_path, client):
    models, clips = _study_inputs()
    local = run("deepfake", models, clips, cache_dir=tmp_path / "local", progress=False)
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids
    models, clips = _study_inputs()
    dist = run("deepfake", models, clips, cache_dir=tmp_path / "shared", progress=False,
               executor=client.get_executor())

    pd.testing.assert_frame_equal(dist.table, local.table, check_exact=True)
    pd.testing.assert_frame_equal(dist.explanations.drop(columns="seconds"),
                                  local.explanations.drop(columns="seconds"), check_exact=True)
    pd.testing.assert_frame_equal(_sorted(dist.failures), _sorted(local.failures))
    assert (dist.failures.stage == "explain").sum() == 1  # the worker's crash, recorded with its reason
    assert dist.failures.reason.str.contains("RuntimeError: simulated model crash").any()
    # the explanations were computed in the workers: this process only predicted and cross-evaluated
    assert dist.stats["explained_now"] == len(dist.explanations) + 1
    assert dist.stats["model_calls"] <= local.stats["model_calls"] - local.explanations.n_model_calls.sum()
    # the workers wrote to the shared cache: a local rerun finds every explanation there
    again_models, clips = _study_inputs()
    again = run("deepfake", again_models, clips, cache_dir=tmp_path / "shared", progress=False)
    assert again.stats["explained_now"] == 1  # only the failed one is retried
    assert sum(m.calls for m in again_models[:2]) == 0
    pd.testing.assert_frame_equal(again.table, local.table, check_exact=True)


@pytest.mark.slow
def test_models_by_name_are_loaded_in_the_workers(tmp_path, client):
    """The documented way: pass zoo names; each worker loads its own copy (here the offline YAMNet)."""
    from suffice.errors import SufficeError
    name = "deepfake/yamnet-zeroshot"
    try:
        from suffice.study.explain import load_model
        load_model(name, "smoke")
    except (SufficeError, ImportError) as exc:  # pragma: no cover - the zoo's backbone is not installed
        pytest.skip(f"{name} unavailable: {exc}")
    clips, _ = clips_from_arrays(hm.clip_items(2, length=16000), 16000)
    local = run("deepfake", [name], clips, cache_dir=tmp_path / "a", profile="smoke", progress=False)
    dist = run("deepfake", [name], clips, cache_dir=tmp_path / "b", profile="smoke", progress=False,
               executor=client.get_executor())
    pd.testing.assert_frame_equal(dist.table, local.table, check_exact=True)
    loaded = client.run(lambda: sorted(k[0] for k in __import__("suffice.study.grid", fromlist=["x"])._WORKER_MODELS))
    assert any(name in v for v in loaded.values())  # at least one worker loaded it by name


class _WorkersElsewhere(ThreadPoolExecutor):
    """Workers whose view of the cache folder is another path they cannot write (no shared disk)."""

    def __init__(self, root: str) -> None:
        super().__init__(2)
        self.root = root

    def submit(self, fn, /, *args, **kwargs):
        args = list(args)
        args[6] = self.root  # explain_job's cache folder as the worker sees it
        return super().submit(fn, *args, **kwargs)


def test_workers_without_the_cache_folder_still_deliver(tmp_path):
    """Results come back to the study, which stores them itself; a resumed run recomputes nothing."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the workers expect the cache folder")
    models, clips = _study_inputs()
    with _WorkersElsewhere(str(blocked)) as ex, pytest.warns(UserWarning, match="could not store"):
        res = run("deepfake", models[:2], clips, cache_dir=tmp_path / "cache", executor=ex, progress=False)
    assert res.failures.empty and len(res.explanations) == 2 * len(clips)
    again_models, clips = _study_inputs()
    again = run("deepfake", again_models[:2], clips, cache_dir=tmp_path / "cache", progress=False)
    assert again.stats["explained_now"] == 0 and again.stats["model_calls"] == 0
    pd.testing.assert_frame_equal(again.table, res.table, check_exact=True)


@pytest.mark.slow
def test_a_worker_killed_mid_study_changes_nothing(tmp_path, client):
    """SIGKILL one worker process while it explains: Dask reruns its task elsewhere, same tables."""
    import signal
    import threading
    import time

    clips, _ = clips_from_arrays(hm.clip_items(4), 16000)
    local = run("deepfake", hm.models(), clips, cache_dir=tmp_path / "local", progress=False)
    victim = next(iter(client.run(os.getpid).values()))
    cache = tmp_path / "shared"
    killed = threading.Event()

    def killer():
        t0 = time.monotonic()
        while time.monotonic() - t0 < 120:
            if len(list((cache / "explanation").rglob("*.json"))) >= 2:
                os.kill(victim, signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.005)

    th = threading.Thread(target=killer, daemon=True)
    th.start()
    dist = run("deepfake", hm.models(delay=0.02), clips, cache_dir=cache, progress=False,
               executor=client.get_executor())
    th.join(5)
    assert killed.is_set() and dist.failures.empty
    pd.testing.assert_frame_equal(dist.table, local.table, check_exact=True)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it for the next test
