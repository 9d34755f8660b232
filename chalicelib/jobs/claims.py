"""(being written)"""

from chalice import Blueprint

jobs = Blueprint(__name__)
