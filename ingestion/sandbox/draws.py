"""The sandboxes' random draws, fast: `Random.random()` is a C call, while randint, randrange
and choice are Python loops (the generators draw millions of times)."""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def below(rng: random.Random, bound: int) -> int:
    return int(rng.random() * bound)


def between(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, options: Sequence[T]) -> T:
    return options[int(rng.random() * len(options))]


def weighted(rng: random.Random, options: Sequence[T], cumulative: Sequence[float]) -> T:
    return options[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count of mean `mean` (Knuth's product of uniforms; a normal draw above 30)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count
