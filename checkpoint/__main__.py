import sys

from checkpoint.command import main

sys.exit(main())
