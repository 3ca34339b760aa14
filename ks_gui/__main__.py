from ks_gui.cli import main

raise SystemExit(main())
