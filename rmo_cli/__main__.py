from rmo_cli.cli.main import main

main()
