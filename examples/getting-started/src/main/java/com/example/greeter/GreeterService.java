package com.example.greeter;

import com.example.greeter.api.GreeterGrpc;
import com.example.greeter.api.HelloReply;
import com.example.greeter.api.HelloRequest;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Service;

/** Served by Spring Boot's gRPC server and registered with discovery as 'greeter'. */
@Service
public class GreeterService extends GreeterGrpc.GreeterImplBase {

    @Override
    public void sayHello(HelloRequest request, StreamObserver<HelloReply> responseObserver) {
        responseObserver.onNext(HelloReply.newBuilder().setMessage("Hello, " + request.getName()).build());
        responseObserver.onCompleted();
    }

}
