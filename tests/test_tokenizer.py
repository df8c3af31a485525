from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from codegpt.model.fim import format_spm_prompt
from codegpt.model.tokens import END_OF_TEXT, FIM_MIDDLE_ID, FIM_PREFIX_ID, SPECIAL_TOKENS
from codegpt.training.tokenizer import decode, load_tokenizer, train_tokenizer

FIXTURE = Path(__file__).parent / "data" / "corpus" / "src"


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in FIXTURE.rglob("*.py.txt")]
    trained = train_tokenizer(texts * 5, vocab_size=600, show_progress=False)
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    trained.save(str(path))
    return load_tokenizer(path)


def test_special_tokens_have_their_index_as_id(tokenizer):
    for index, token in enumerate(SPECIAL_TOKENS):
        assert tokenizer.token_to_id(token) == index
        assert tokenizer.id_to_token(index) == token


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_decode_inverts_encode_for_any_text(tokenizer, text):
    assert decode(tokenizer, tokenizer.encode(text).ids) == text


def test_every_byte_is_in_the_vocabulary(tokenizer):
    vocab = tokenizer.get_vocab()
    assert all(char in vocab for char in pre_tokenizers.ByteLevel.alphabet())
    assert len(pre_tokenizers.ByteLevel.alphabet()) == 256


def test_special_tokens_in_text_become_single_ids(tokenizer):
    ids = tokenizer.encode(format_spm_prompt("x = ", "\n") + END_OF_TEXT).ids
    assert ids[0] == FIM_PREFIX_ID
    assert FIM_MIDDLE_ID in ids
    assert ids[-1] == SPECIAL_TOKENS.index(END_OF_TEXT)


def test_newline_and_indentation_is_one_token(tokenizer):
    # The fixture is full of 4- and 8-space indentation: BPE learns each as a single token.
    encoding = tokenizer.encode("\n        return")
    assert encoding.tokens[0] == "Ċ" + "Ġ" * 8
    assert decode(tokenizer, encoding.ids) == "\n        return"


def test_vocab_size_is_respected(tokenizer):
    assert tokenizer.get_vocab_size() <= 600


def test_too_small_vocab_is_an_error():
    with pytest.raises(ValueError, match="below"):
        train_tokenizer(["x = 1\n"], vocab_size=100, show_progress=False)


def test_loading_a_tokenizer_with_other_special_ids_fails(tmp_path):
    other = Tokenizer(models.BPE())
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=list(reversed(SPECIAL_TOKENS)))
    other.train_from_iterator(["abc def"], trainer=trainer)
    path = tmp_path / "tokenizer.json"
    other.save(str(path))
    with pytest.raises(ValueError, match="special token"):
        load_tokenizer(path)
