"""The few exceptions callers catch: bad config, unusable sources, unusable models."""


class CctwinError(Exception):
    """Base class for errors that the CLI reports as one clear line."""


class ConfigError(CctwinError):
    """The configuration file is missing, malformed or invalid."""


class SourceError(CctwinError):
    """A video source cannot be opened (missing file, unreachable URL, no video stream)."""


class ModelError(CctwinError):
    """A detection model cannot be loaded or has an output layout we do not understand."""


class EvaluationError(CctwinError):
    """Ground truth or results cannot be read for an evaluation."""
