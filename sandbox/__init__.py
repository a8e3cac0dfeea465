"""The local platform sandbox: a real HTTP server speaking every platform's contract, with
fault injection (installed by the sandbox extra; never imported by pipeline/).
"""
