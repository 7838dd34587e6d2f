"""Issue 11 item 5: the evaluation seed comes from the chain after the epoch starts (the hash of
its first block), so nobody can compute an epoch's instances in advance, and two chains with
different block hashes give different instances for the same epoch number."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawbench.scenario import ScenarioInstance, instantiate, load_suite
from trajectoryrl.chain import ChainError, LocalChain
from trajectoryrl.validator import episode_seeds, epoch_seed, epoch_start_block

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
EPOCH_BLOCKS = 10


async def _seeds(chain: LocalChain, epoch: int) -> list[int]:
    start = epoch_start_block(epoch, EPOCH_BLOCKS)
    return episode_seeds(epoch_seed(11, epoch, await chain.block_hash(start)), 3)


def _world(instance: ScenarioInstance) -> tuple[object, ...]:
    """What the agent meets: the drawn variables and the rendered fixtures and workspace."""
    return (instance.variables, instance.fixtures, instance.workspace)


async def test_two_chains_give_different_instances_for_the_same_epoch(tmp_path: Path) -> None:
    a, b = LocalChain(tmp_path / "a.db", 11), LocalChain(tmp_path / "b.db", 11)
    a.advance(30)
    b.advance(30)
    seeds_a, seeds_b = await _seeds(a, 2), await _seeds(b, 2)
    assert seeds_a != seeds_b
    assert seeds_a == await _seeds(LocalChain(tmp_path / "a.db", 11), 2)  # every validator agrees
    suite = [s for s in load_suite(SUITE) if s.spec.real_workspace is None]
    differs = 0
    for scenario in suite:
        one = [_world(instantiate(scenario, s)) for s in seeds_a]
        other = [_world(instantiate(scenario, s)) for s in seeds_b]
        differs += one != other
    assert differs == len(suite)  # every scenario's instances change with the chain


async def test_an_epochs_seed_cannot_be_known_before_its_first_block(tmp_path: Path) -> None:
    chain = LocalChain(tmp_path / "c.db", 11)
    chain.advance(15)
    await _seeds(chain, 1)  # epoch 1 began at block 10: known
    with pytest.raises(ChainError) as err:
        await _seeds(chain, 2)  # epoch 2 begins at block 20: no hash to derive it from yet
    assert err.value.code == "not_found"
