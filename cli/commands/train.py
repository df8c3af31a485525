"""``codegpt train``: train a named model config on a corpus folder, with ``--key=value`` overrides.

Every field of TrainConfig and ModelConfig is an option (``--n_layer=4``, ``--max_time_s=3600``).
Under ``torchrun --nproc_per_node=N -m codegpt train ...`` it trains data-parallel.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import fields

from codegpt.exit_codes import OK, USAGE_ERROR

HELP = "train a model (named config + --key=value overrides of any training or model field)"

# Option aliases for the two folders everyone passes.
ALIASES = {"data": "data_dir", "out": "out_dir"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per config field, so --help lists them and typos are usage errors."""
    from codegpt.model.configs import MODEL_CONFIGS
    from codegpt.model.model_config import ModelConfig
    from codegpt.training.config import TrainConfig

    parser.allow_abbrev = False  # --n_lay=4 must not silently mean --n_layer=4
    parser.add_argument(
        "--config", default="small", choices=sorted(MODEL_CONFIGS), help="named model size"
    )
    for alias, key in ALIASES.items():
        parser.add_argument(f"--{alias}", dest=f"override_{key}", metavar="DIR", help=f"= --{key}")
    for dataclass_type, title in ((TrainConfig, "training"), (ModelConfig, "model")):
        group = parser.add_argument_group(f"{title} options (--key=value)")
        for field in fields(dataclass_type):
            is_bool = field.type in (bool, "bool")
            group.add_argument(
                f"--{field.name}",
                dest=f"override_{field.name}",
                metavar="VALUE",
                nargs="?" if is_bool else None,
                const="true" if is_bool else None,
                help="set by --config" if title == "model" else f"default {field.default!r}",
            )


def run(args: argparse.Namespace) -> int:
    """Build the configs, train, and print a one-line summary on stderr."""
    from codegpt.model.configs import model_config
    from codegpt.training.checkpoint import CheckpointError
    from codegpt.training.config import ConfigError, TrainConfig, apply_overrides
    from codegpt.training.train import train

    logging.getLogger("codegpt").setLevel(min(logging.getLogger().level, logging.INFO))
    overrides = [
        f"--{name[len('override_') :]}={value}"
        for name, value in vars(args).items()
        if name.startswith("override_") and value is not None
    ]
    try:
        train_config, model_cfg = apply_overrides(
            TrainConfig(), model_config(args.config), overrides
        )
        result = train(train_config, model_cfg)
    except (ConfigError, CheckpointError) as error:
        print(f"codegpt train: {error}", file=sys.stderr)
        return USAGE_ERROR
    print(
        f"codegpt train: step {result.step}, {result.tokens_seen:,} tokens, train loss "
        f"{result.train_loss:.4f}, val loss {result.val_loss}, "
        f"{result.tokens_per_s:,.0f} tokens/s, "
        f"checkpoint {result.checkpoint}",
        file=sys.stderr,
    )
    return OK
