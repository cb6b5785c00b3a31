"""Reference renderings of real chat templates by transformers' apply_chat_template, for ChatTemplateParityTest.

  /tmp/ref/bin/python tools/chat_template_fixtures.py

Reads src/test/resources/fixtures/chat/templates/<name>.jinja (the templates as published, each file's source in
sources.json, with the family's special tokens) and writes cases.json beside them: for every template and every
conversation below, the text transformers renders or the error the template raises. Dates from strftime_now are
pinned to NOW (the Java test renders with a clock fixed there).
"""
import json
import os
from datetime import datetime

import transformers.utils.chat_template_utils as ctu
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast

HERE = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "fixtures", "chat", "templates")
NOW = datetime(2026, 3, 7, 9, 30, 0)


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW


ctu.datetime = _FixedClock  # strftime_now reads the module's datetime

SYSTEM = {"role": "system", "content": "You are terse."}
CONVERSATIONS = {
    "one_user": [{"role": "user", "content": "Hello, how are you?"}],
    "system_multi_turn": [SYSTEM, {"role": "user", "content": "What is 2+2?"},
                          {"role": "assistant", "content": "4."}, {"role": "user", "content": "And 3+3?"}],
    "spaces_unicode_digits": [{"role": "user", "content": "  Spaces around  "},
                              {"role": "assistant", "content": " Reply with a space "},
                              {"role": "user", "content": "Ünïcödé 数字 123 — \"quotes\" 'single'\n\nnew lines\t"}],
    "ends_with_assistant": [SYSTEM, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
    "thinking_in_history": [{"role": "user", "content": "Sum 1+1"},
                            {"role": "assistant", "content": "<think>\nOne plus one.\n</think>\n\n2"},
                            {"role": "user", "content": "Thanks"}],
    "two_users_in_a_row": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
}
# (conversation, add_generation_prompt, template keyword arguments)
CASES = [(c, True, {}) for c in CONVERSATIONS] + [
    ("ends_with_assistant", False, {}),
    ("one_user", False, {}),
    ("one_user", True, {"enable_thinking": False}),
    ("system_multi_turn", True, {"enable_thinking": False}),
    ("thinking_in_history", False, {"enable_thinking": True}),
    ("system_multi_turn", True, {"date_string": "01 Jan 2025"}),
]


# Jinja features real templates use that jinjava lacks or parses differently, each alone (features.json). None prints
# a boolean: jinjava writes true/false where Python writes True/False, a difference no published template shows.
FEATURE_MESSAGES = [{"role": "system", "content": "  Be brief.  "}, {"role": "user", "content": "\n\nHi\n"},
                    {"role": "assistant", "content": "<think>\nr\n</think>\n\nAnswer"}]
FEATURES = {
    "loop_last": "{% for m in messages %}{{ m.role }}{% if not loop.last %},{% endif %}{% endfor %}",
    "namespace": "{% set ns = namespace(n=messages|length - 1, seen=false) %}{% for m in messages %}"
                 "{% if m.role == 'user' %}{% set ns.seen = true %}{% endif %}{% endfor %}{{ ns.n }} {{ 'seen' if ns.seen else 'unseen' }}",
    "string_methods": "{{ messages[0].content.strip() }}|{{ messages[1].content.strip('\\n') }}|"
                      "{{ messages[1].content.lstrip('\\n') }}|{{ 'a' if 'abc'.startswith('a') }}{{ 'c' if 'abc'.endswith(('x', 'c')) }}|"
                      "{{ messages[2].content.split('</think>')[-1].lstrip('\\n') }}|{{ 'a,,b'.split(',') | length }}|"
                      "{{ 'a b'.upper() }}{{ 'x-y'.replace('-', '+') }}{{ ', '.join(['p', 'q']) }}",
    "tojson": "{{ messages[0] | tojson }}|{{ {'a': [1, 2.5, none, true], 'b': 'é\"\\n'} | tojson }}|"
              "{{ {'k': [1]} | tojson(indent=2) }}",
    "is_string": "{% for x in [messages[0].content, messages, 3] %}{{ 'S' if x is string else '-' }}{% endfor %}",
    "slices": "{{ messages[1:] | length }} {{ messages[1:][0].role }} {{ messages[:-1] | length }} {{ 'abcdef'[:-1] }}"
              "{% for m in messages[::-1] %} {{ m.role }}{% endfor %}",
    "not_is": "{% if not date_string is defined %}A{% endif %}{% if not messages is defined %}B{% endif %}"
              "{% if not messages[0].role is not none %}C{% endif %}",
    "dict_methods": "{% for k, v in {'x': 1, 'y': 2}.items() %}{{ k }}={{ v }};{% endfor %}"
                    "{{ messages[0].get('missing', 'dflt') }}",
    "trim_and_lstrip_blocks": "{% for m in messages %}\n  {{- m.role }}\n{% endfor %}\n{% if true %}\n    X\n{% endif %}\n",
    "raise_exception": "{% if messages|length > 2 %}{{ raise_exception('too many: ' ~ messages|length) }}{% endif %}",
    "strftime_now": "{{ strftime_now('%d %b %Y, %A %B %H:%M:%S') if strftime_now is defined else 'none' }}",
}


def features():
    out = {}
    for name, source in FEATURES.items():
        try:
            out[name] = {"template": source, "text": ctu.render_jinja_template(
                [FEATURE_MESSAGES], chat_template=source)[0][0]}
        except Exception as e:
            out[name] = {"template": source, "error": str(e)}
    return {"now": NOW.isoformat(), "messages": FEATURE_MESSAGES, "features": out}


def tokenizer(spec, template):
    model = WordLevel({"[UNK]": 0}, unk_token="[UNK]")
    specials = {k: spec[k] for k in ("bos_token", "eos_token") if spec.get(k) is not None}
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(model), chat_template=template, **specials)


def main():
    sources = json.load(open(os.path.join(HERE, "sources.json")))
    out = {"now": NOW.isoformat(), "conversations": CONVERSATIONS, "templates": {}}
    for name, spec in sources.items():
        template = open(os.path.join(HERE, name + ".jinja"), encoding="utf-8").read()
        tok = tokenizer(spec, template)
        rows = []
        for conversation, generation, kwargs in CASES:
            row = {"conversation": conversation, "add_generation_prompt": generation, "kwargs": kwargs}
            try:
                row["text"] = tok.apply_chat_template(CONVERSATIONS[conversation], tokenize=False,
                                                      add_generation_prompt=generation, **kwargs)
            except Exception as e:  # the template's raise_exception (TemplateError) or a Jinja error
                row["error"] = str(e)
            rows.append(row)
        out["templates"][name] = rows
        print(f"{name}: {sum('text' in r for r in rows)} rendered, {sum('error' in r for r in rows)} errors")
    for file, data in (("cases.json", out), ("features.json", features())):
        with open(os.path.join(HERE, file), "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
