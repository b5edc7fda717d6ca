from darc_tui.cli import main

raise SystemExit(main())
