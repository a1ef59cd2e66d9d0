from ipxescript.cli import main

main()
