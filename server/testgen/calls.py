"""Proposals as sandbox calls: a method's on an instance built by its setup, others by name."""

from __future__ import annotations

from collections.abc import Sequence

from codegpt.server.testgen.analysis import FunctionTarget
from codegpt.server.testgen.proposals import Proposal
from codegpt.server.testgen.sandbox import CallSpec


def calls_for(
    target: FunctionTarget, proposals: Sequence[Proposal], first_id: int
) -> list[CallSpec]:
    """The sandbox calls for ``proposals``, numbered from ``first_id``."""
    calls = []
    for offset, proposal in enumerate(proposals):
        if target.kind == "method":
            calls.append(
                CallSpec(
                    first_id + offset,
                    "",
                    proposal.args,
                    proposal.kwargs,
                    setup=proposal.receiver,
                    prepare=proposal.prepare,
                    attribute=target.name,
                    materialize=target.is_generator,
                    imports=proposal.imports,
                )
            )
        else:
            calls.append(
                CallSpec(
                    first_id + offset,
                    target.qualname,
                    proposal.args,
                    proposal.kwargs,
                    prepare=proposal.prepare,
                    materialize=target.is_generator,
                    imports=proposal.imports,
                )
            )
    return calls
