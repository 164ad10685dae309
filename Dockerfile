# Build the single runnable jar, then run it on a JRE. One image serves every role:
#   docker run mini-ups serve | world | amazon | demo
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY proto proto
COPY conf conf
COPY src src
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/target/mini-ups.jar /app/mini-ups.jar
ENTRYPOINT ["java", "-jar", "/app/mini-ups.jar"]
CMD ["serve"]
