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


def test_runner_config_and_checkpoint_meta(tmp_path):
    from mmincubate.engine.runners import SafeCheckpointRunner
    from mmincubate.utils import load_checkpoint_file
    cfg = short_cfg(tmp_path, 2, config=E2E_DIGITS, checkpoint_interval=2)
    runner = SafeCheckpointRunner.from_cfg(cfg)
    assert isinstance(runner.cfg, FormattedOnceConfig)
    runner.train()
    meta = load_checkpoint_file(str(tmp_path / 'iter_2.pth'),
                                trust_mmengine=True)['meta']
    assert meta['cfg'] == Config.pretty_text.fget(runner.cfg)
