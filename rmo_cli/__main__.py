from rmo_cli.cli.entry import main

main()
