from chatrec.cli.main import main

raise SystemExit(main())
