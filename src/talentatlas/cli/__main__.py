from talentatlas.cli import main

main()
