from stance.cli.main import main

raise SystemExit(main())
