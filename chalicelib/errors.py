"""Domain errors. Stable class names: Step Functions Retry/Catch match on them, and the
routes in app.py map them to HTTP statuses (nowhere else knows about HTTP)."""
from __future__ import annotations


class GardenError(Exception):
    """Base of every domain error; ``str(err)`` is a message a client can act on."""


class InvalidRequest(GardenError):
    """The caller sent something malformed or out of range (HTTP 400)."""


class UnsupportedMediaType(GardenError):
    """The body's content type is not one this operation takes (HTTP 415)."""


class PayloadTooLarge(GardenError):
    """The body exceeds the operation's size limit (HTTP 413)."""


class InvalidKey(InvalidRequest):
    """An object key outside the layout, or one that tries to escape it (``..``, ``/x``)."""


class NotFound(GardenError):
    """The named thing does not exist (HTTP 404)."""


class ObjectNotFound(NotFound):
    """No object under that key in the object store."""


class ImageNotFound(NotFound):
    """No image under that key in the catalog."""


class JobNotFound(NotFound):
    """No job with that id."""


class Conflict(GardenError):
    """The request does not fit the thing's state, e.g. cancelling a finished job (HTTP 409)."""


class Unauthorized(GardenError):
    """The admin key is missing (HTTP 401)."""


class Forbidden(GardenError):
    """The admin key is wrong (HTTP 403)."""


class TooManyRequests(GardenError):
    """The caller exceeded its rate limit (HTTP 429)."""


class ServiceUnavailable(GardenError):
    """An outside system is down or throttling us (HTTP 503)."""


class UpstreamFailed(GardenError):
    """An outside system answered with an error (HTTP 502)."""


class ConfigError(GardenError):
    """A setting is missing or malformed; the message names the setting."""


class GeneratorError(GardenError):
    """An inference endpoint could not produce an image. Subclass names are matched by the
    state machines' Retry (timeouts, throttling) and Catch (everything) clauses."""


class EndpointTimeout(GeneratorError):
    """The endpoint did not answer within its timeout (retried)."""


class EndpointThrottled(GeneratorError):
    """The endpoint refused for load (HTTP 429/503, SageMaker throttling; retried)."""


class EndpointFailed(GeneratorError):
    """The endpoint is down or answered with an error (not retried)."""


class BadImage(GeneratorError):
    """The endpoint answered, but not with a JPEG of the requested size (not retried)."""
