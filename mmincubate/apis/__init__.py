"""What the command-line tools share: the runner they build, and the
checks they run before building it."""
from .data_checks import check_dataset_paths
from .runner import INPUT_ERRORS, build_runner, run_reporting_input_errors
from .schedule_args import apply_schedule_args
from .train_checks import (check_checkpoint_file, check_model_split,
                           check_resume_plan, check_training_inputs,
                           is_incubation, resume_source, target_depth)

__all__ = [
    'INPUT_ERRORS', 'apply_schedule_args', 'build_runner',
    'run_reporting_input_errors',
    'check_checkpoint_file', 'check_dataset_paths',
    'check_model_split', 'check_resume_plan', 'check_training_inputs',
    'is_incubation', 'resume_source', 'target_depth'
]
