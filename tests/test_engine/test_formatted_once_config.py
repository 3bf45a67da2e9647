"""FormattedOnceConfig: the runner's config text is formatted once per
content, and is always what mmengine's Config would print."""
import mmengine.config.config as config_module
from mmengine.config import Config

from mmincubate.engine.runners import FormattedOnceConfig
from tests.helpers import E2E_DIGITS, short_cfg


def test_formats_once_per_content(monkeypatch):
    calls = []
    format_code = config_module.FormatCode

    def counted(*args, **kwargs):
        calls.append(1)
        return format_code(*args, **kwargs)

    monkeypatch.setattr(config_module, 'FormatCode', counted)
    plain = Config.fromfile(E2E_DIGITS)
    once = FormattedOnceConfig.of(plain)
    assert once is not plain and FormattedOnceConfig.of(once) is once
    expected = plain.pretty_text
    assert len(calls) == 1
    assert once.pretty_text == expected and once.pretty_text == expected
    assert len(calls) == 2  # once for the plain config, once for ``once``
    # a change is seen: formatted again, as Config would print it
    once.train_cfg.max_epochs = 3
    plain.train_cfg.max_epochs = 3
    assert once.pretty_text == plain.pretty_text != expected
    assert len(calls) == 4
    assert 'max_epochs=3' in once.pretty_text and len(calls) == 4


def test_runner_keeps_its_config_formatted_once(tmp_path):
    """The runner's config is a FormattedOnceConfig (built only: the
    checkpoints of the session's shared run carry its text)."""
    from mmincubate.engine.runners import ExactResumeRunner
    cfg = short_cfg(tmp_path, 2, config=E2E_DIGITS)
    runner = ExactResumeRunner.from_cfg(cfg)
    assert isinstance(runner.cfg, FormattedOnceConfig)
    assert runner.cfg.pretty_text == Config.pretty_text.fget(runner.cfg)


def test_checkpoint_meta_is_the_config_text(digits_run):
    from mmincubate.utils import load_checkpoint_file
    texts = [load_checkpoint_file(f'{digits_run.work_dir}/iter_{i}.pth',
                                  trust_mmengine=True)['meta']['cfg']
             for i in (5, 30)]
    assert texts[0] == texts[1]
    assert texts[0] == Config.pretty_text.fget(
        Config.fromstring(texts[0], '.py'))
