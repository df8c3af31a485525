"""Special tokens shared by training and the runtime.

They are module constants so that the tokenizer, the training data and the prompts the server
builds can never disagree on a spelling. Ids are fixed by their order: the tokenizer adds them
first, so ``SPECIAL_TOKENS[i]`` has id ``i``.
"""

END_OF_TEXT = "<|endoftext|>"
PAD = "<|pad|>"
# Fill-in-the-middle (Bavarian et al. 2022). SPM order: FIM_PREFIX FIM_SUFFIX suffix FIM_MIDDLE
# prefix middle; PSM order: FIM_PREFIX prefix FIM_SUFFIX suffix FIM_MIDDLE middle.
FIM_PREFIX = "<|fim_prefix|>"
FIM_SUFFIX = "<|fim_suffix|>"
FIM_MIDDLE = "<|fim_middle|>"
# Repair fine-tune: REPAIR_BROKEN broken-window REPAIR_FIXED fixed-window END_OF_TEXT.
REPAIR_BROKEN = "<|repair_broken|>"
REPAIR_FIXED = "<|repair_fixed|>"
# Test generation prompts: TESTS_FOR function-source TESTS_BODY test-code.
TESTS_FOR = "<|tests_for|>"
TESTS_BODY = "<|tests_body|>"
# Extra context (signatures, docstrings of related definitions) placed before the code window.
CONTEXT = "<|context|>"
FILE_SEP = "<|file_sep|>"

SPECIAL_TOKENS: tuple[str, ...] = (
    END_OF_TEXT,
    PAD,
    FIM_PREFIX,
    FIM_SUFFIX,
    FIM_MIDDLE,
    REPAIR_BROKEN,
    REPAIR_FIXED,
    TESTS_FOR,
    TESTS_BODY,
    CONTEXT,
    FILE_SEP,
)

END_OF_TEXT_ID = SPECIAL_TOKENS.index(END_OF_TEXT)
PAD_ID = SPECIAL_TOKENS.index(PAD)
FIM_PREFIX_ID = SPECIAL_TOKENS.index(FIM_PREFIX)
FIM_SUFFIX_ID = SPECIAL_TOKENS.index(FIM_SUFFIX)
FIM_MIDDLE_ID = SPECIAL_TOKENS.index(FIM_MIDDLE)
REPAIR_BROKEN_ID = SPECIAL_TOKENS.index(REPAIR_BROKEN)
REPAIR_FIXED_ID = SPECIAL_TOKENS.index(REPAIR_FIXED)
