"""The ceiling the portal is measured against: a Tornado hello-world JSON handler, pre-forked like
`portal.py serve --processes N`.

    python bench/hello.py PORT PROCESSES
"""
import asyncio
import sys

import tornado.httpserver
import tornado.netutil
import tornado.process
import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write({"hello": "world"})


def main():
    port, processes = int(sys.argv[1]), int(sys.argv[2])
    if processes != 1:  # as portal.py serve: each child its own SO_REUSEPORT socket
        tornado.process.fork_processes(processes)
    sockets = tornado.netutil.bind_sockets(port, address="127.0.0.1", reuse_port=processes != 1)

    async def serve():
        server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/.*", Hello)]))
        server.add_sockets(sockets)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
